"""Face detectors as plug-ins: BlazeFace (near faces, the cheaper one), CenterFace
(small and far faces) and YuNet (5 landmarks, for the face verifier). They only report
where faces are; face pixels stay on the device unless
the configuration explicitly asks for crops."""

from edge.vision.faces.blazeface import BlazeFaceDetector
from edge.vision.faces.centerface import CenterFaceDetector
from edge.vision.faces.yunet import YuNetDetector
from edge.vision.plugins import Detector, PluginRegistry

FACE_BACKENDS: tuple[type[Detector], ...] = (BlazeFaceDetector, CenterFaceDetector, YuNetDetector)


def register_face_backends(detectors: PluginRegistry[Detector]) -> None:
    """Add the face backends to a detector registry built by the pipeline's wiring."""
    for cls in FACE_BACKENDS:
        detectors.add(cls)


__all__ = ["BlazeFaceDetector", "CenterFaceDetector", "YuNetDetector", "register_face_backends"]
