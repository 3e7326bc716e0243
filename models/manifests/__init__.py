"""Model manifests (JSON, one per model); a package only so that wheels ship them."""
