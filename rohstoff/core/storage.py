"""Static files storage: WhiteNoise's compressed, content-hashed storage, also when DEBUG is on.

Django's manifest storage writes plain names into pages while DEBUG is on; the demo runs with
DEBUG on and serves only the collected, compressed files, so pages must name the hashed ones
there too (docs/operations.md).
"""

import hashlib
import shutil

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CompressedHashedStorage(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        return super().url(name, force=True)

    def compress_files(self, paths):
        """Compress each distinct content once. WhiteNoise compresses a file and its hashed copy
        apart, though for every file that names no other file (plotly, the API viewers' bundles)
        they are the same bytes: half of ``collectstatic``'s time. A copy gets the compressed
        files of its twin (docs/operations.md)."""
        twins: dict[bytes, list[str]] = {}
        for path in paths:
            with open(self.path(path), "rb") as file:
                twins.setdefault(hashlib.file_digest(file, "sha256").digest(), []).append(path)
        copies = {group[0]: group[1:] for group in twins.values()}
        for name, compressed_name in super().compress_files(list(copies)):
            yield name, compressed_name
            suffix = compressed_name.removeprefix(name)
            for twin in copies[name]:
                shutil.copyfile(self.path(compressed_name), self.path(twin + suffix))
                yield twin, twin + suffix
