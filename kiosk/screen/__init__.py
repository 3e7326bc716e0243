"""The kiosk's touch screen: a local web page and the contract it speaks (``protocol``)."""
