"""Bundled data and icons, found the same way from a checkout, a wheel or a frozen app."""
