"""The unit slugs of the 2024 reference data, in their reference order (shared by tests)."""

SLUGS = [
    "kecamatan",
    "perwira",
    "harapan-jaya",
    "marga-mulya",
    "harapan-baru",
    "teluk-pucung",
    "kaliabang-tengah",
]
