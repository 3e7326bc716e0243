"""Weights we trained ourselves (ONNX, with manifests); a package only so that wheels ship them."""
