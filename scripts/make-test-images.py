#!/usr/bin/env python3
"""Writes deterministic OCI image layouts for Ferry's integration tests and benchmarks.

Every byte is derived from fixed seeds and fixed tar/gzip metadata, so digests are the
same on every machine and every run. Usage: make-test-images.py OUTPUT_DIR [--big-mib N]

Layouts written (each an OCI image layout with tag `v1`):
  small/  single-arch image: config + 2 layers (4 KiB text, 1 MiB random)
  multi/  multi-arch OCI index: linux/amd64 and linux/arm64 images
  big/    single-arch image with one incompressible layer of N MiB (default 64)
"""
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile


def write_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 1700000000
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=1) as gz:
        gz.write(tar_bytes)
    return compressed.getvalue(), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def seeded_bytes(seed, size):
    rng = random.Random(seed)
    chunk = 16 << 20
    return b"".join(rng.randbytes(min(chunk, size - offset)) for offset in range(0, size, chunk))


def image(layout, arch, layers_files):
    layers = []
    diff_ids = []
    for files in layers_files:
        data, diff_id = layer(files)
        descriptor = write_blob(layout, data)
        descriptor["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
        layers.append(descriptor)
        diff_ids.append(diff_id)
    config = {
        "architecture": arch,
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_descriptor = write_blob(layout, json.dumps(config, sort_keys=True).encode())
    config_descriptor["mediaType"] = "application/vnd.oci.image.config.v1+json"
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_descriptor,
        "layers": layers,
    }
    descriptor = write_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    descriptor["mediaType"] = manifest["mediaType"]
    return descriptor


def finish(layout, descriptor):
    descriptor = dict(descriptor)
    descriptor["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [descriptor]}, f, sort_keys=True)


def main():
    out = sys.argv[1]
    big_mib = 64
    if "--big-mib" in sys.argv:
        big_mib = int(sys.argv[sys.argv.index("--big-mib") + 1])

    small = os.path.join(out, "small")
    finish(small, image(small, "amd64", [
        [("etc/ferry.txt", b"ferry test image\n" * 256)],
        [("data/random.bin", seeded_bytes(1, 1 << 20))],
    ]))

    multi = os.path.join(out, "multi")
    entries = []
    for index, arch in enumerate(["amd64", "arm64"]):
        descriptor = image(multi, arch, [[("arch.txt", arch.encode() * 100)], [("data/blob.bin", seeded_bytes(10 + index, 256 << 10))]])
        descriptor["platform"] = {"architecture": arch, "os": "linux"}
        entries.append(descriptor)
    index_doc = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
    index_descriptor = write_blob(multi, json.dumps(index_doc, sort_keys=True).encode())
    index_descriptor["mediaType"] = index_doc["mediaType"]
    finish(multi, index_descriptor)

    big = os.path.join(out, "big")
    finish(big, image(big, "amd64", [[("data/big.bin", seeded_bytes(2, big_mib << 20))]]))


if __name__ == "__main__":
    main()
