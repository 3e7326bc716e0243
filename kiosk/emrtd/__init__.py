"""eMRTD protocol: APDUs, secure messaging, BAC, PACE, file reading, read orchestration."""
