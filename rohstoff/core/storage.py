"""Static files storage: WhiteNoise's compressed, content-hashed storage, also when DEBUG is on.

Django's manifest storage writes plain names into pages while DEBUG is on; the demo runs with
DEBUG on and serves only the collected, compressed files, so pages must name the hashed ones
there too (docs/operations.md).
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CompressedHashedStorage(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        return super().url(name, force=True)
