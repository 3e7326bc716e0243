"""Model manifests, the setup-time fetcher (registry packages, sha256-verified) and
reproducible training scripts. Weights land in models/weights/ (not committed unless
trained by this project)."""
