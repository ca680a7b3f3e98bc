"""Gear: packing conditions and the packing list generator. No Telegram here."""
