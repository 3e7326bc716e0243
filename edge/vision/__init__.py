"""On-device vision: onnxruntime sessions, detector/recogniser plug-ins and the
plate-reading and face-presence models built on them."""
