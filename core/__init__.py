"""The lowest floor: environment settings, i18n catalogs, the audience and the pure access policy."""
