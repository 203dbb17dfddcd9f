#!/usr/bin/env python3
"""Writes a cache of COUNT tiny blobs in Ferry's layout, fast, for bench/inventory.sh.

Each blob is 8 bytes (its number, little-endian) stored under
DATA/blobs/sha256/<xx>/<hex>, where hex is the real SHA-256 of those bytes, exactly
as Ferry commits a blob. No index is written: Ferry builds its own index on first
start (bench/inventory.sh measures that separately). SAMPLE_FILE receives
SAMPLE random digests, one `sha256:<hex>` a line, for the load generator.

Usage: make-blob-cache.py DATA COUNT SAMPLE_FILE SAMPLE
"""
import hashlib
import os
import random
import sys

data, count, sample_file, sample = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
base = os.path.join(data, "blobs", "sha256")
for prefix in range(256):
    os.makedirs(os.path.join(base, f"{prefix:02x}"), exist_ok=True)
random.seed(42)
chosen = set(random.sample(range(count), min(sample, count)))
flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
with open(sample_file, "w") as out:
    for number in range(count):
        content = number.to_bytes(8, "little")
        hexdigest = hashlib.sha256(content).hexdigest()
        descriptor = os.open(f"{base}/{hexdigest[:2]}/{hexdigest}", flags, 0o644)
        os.write(descriptor, content)
        os.close(descriptor)
        if number in chosen:
            out.write(f"sha256:{hexdigest}\n")
