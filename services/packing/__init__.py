"""Gear: packing conditions and the packing list generator (Gear PRD §3–§4). No Telegram here."""
