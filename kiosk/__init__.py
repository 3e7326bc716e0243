"""Kiosk role: CCCD chip reading (eMRTD protocol, LDS parsing, passive authentication)
and the check-in / identity-verification workflows."""
