"""Schemathesis hooks for .ci/api-fuzz: how to make the bodies it cannot make by itself."""

from hypothesis import strategies as st

import schemathesis

# A tus PATCH carries raw bytes of the upload (`application/offset+octet-stream`).
schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=4096))
