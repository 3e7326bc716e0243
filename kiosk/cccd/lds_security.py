"""ASN.1 definition of the ICAO LDS security object (the payload of EF.SOD).

asn1crypto covers CMS but not this ICAO-specific structure, so it is declared
here with asn1crypto's own building blocks (ICAO 9303-10 §4.6.2.2).
"""

from __future__ import annotations

from typing import ClassVar

from asn1crypto import algos, core

#: id-icao-mrtd-security-ldsSecurityObject, the eContentType of EF.SOD.
LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
SOD_TAG = 0x77


class DataGroupHash(core.Sequence):
    _fields: ClassVar[list] = [
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LdsVersionInfo(core.Sequence):
    _fields: ClassVar[list] = [
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LdsSecurityObject(core.Sequence):
    _fields: ClassVar[list] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LdsVersionInfo, {"optional": True}),
    ]
