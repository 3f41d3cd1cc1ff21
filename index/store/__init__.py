"""The knowledge base (temporary front door during the split; replaced in the next commit)."""

from index.store.embedded.knowledge_base import *  # noqa: F403
from index.store.embedded.knowledge_base import (  # noqa: F401
    _chunk_docs,
    _from_int8,
    _int8,
)
