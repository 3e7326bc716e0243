"""The device's TLS identity: its key (made on the device, never leaving it), the
certificate signing request for the central CA, and the checks a certificate must
pass before it is installed (`edge provision --install-cert`, the rotate_cert command,
`edge doctor`)."""
