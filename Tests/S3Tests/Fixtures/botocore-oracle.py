"""Signs S3 requests with botocore, as an independent oracle for the Swift SigV4 signer.

Usage: python botocore-oracle.py CASES.json  ->  JSON on stdout, one result per case.

Each case: name, method, endpoint (scheme://host[:port]), bucket, key (raw, or null for the
bucket), params ([[name, value], ...], raw), headers ({name: value}), body (text), unsigned
(bool: UNSIGNED-PAYLOAD), presign_expires (int or null), access_key, secret_key, token,
region, timestamp (yyyymmddThhmmssZ).

The URL is built the way botocore's REST serializer builds it for S3 (the key through
botocore.utils.percent_encode with safe "/~", query parameters through request.params),
so the encoding is botocore's own, not the Swift one. The clock is fixed by patching
botocore.auth.get_current_datetime, the function SigV4Auth.add_auth reads the time from.
"""
import datetime
import json
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode

if not hasattr(botocore.auth, "get_current_datetime"):
    sys.exit("botocore %s has no botocore.auth.get_current_datetime to patch" % botocore.__version__)


def sign(case):
    when = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
    credentials = Credentials(case["access_key"], case["secret_key"], case.get("token"))
    path = "/" + case["bucket"]
    if case.get("key") is not None:
        path += "/" + percent_encode(case["key"], safe="/~")
    request = AWSRequest(
        method=case["method"],
        url=case["endpoint"] + path,
        headers=dict(case.get("headers") or {}),
        data=case.get("body", "").encode("utf-8"),
        params=[tuple(p) for p in case.get("params") or []],
    )
    if case.get("unsigned"):
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        if case.get("presign_expires") is not None:
            signer = botocore.auth.S3SigV4QueryAuth(credentials, "s3", case["region"], expires=case["presign_expires"])
            signer.add_auth(request)
            return {"name": case["name"], "url": request.url}
        signer = botocore.auth.S3SigV4Auth(credentials, "s3", case["region"])
        # Record the intermediate strings as add_auth computes them (recomputing them
        # afterwards would include the Authorization header just added).
        seen = {}
        canonical_request, string_to_sign = signer.canonical_request, signer.string_to_sign

        def record_canonical_request(req):
            seen["canonical_request"] = canonical_request(req)
            return seen["canonical_request"]

        def record_string_to_sign(req, creq):
            seen["string_to_sign"] = string_to_sign(req, creq)
            return seen["string_to_sign"]

        signer.canonical_request = record_canonical_request
        signer.string_to_sign = record_string_to_sign
        signer.add_auth(request)
        return {
            "name": case["name"],
            "authorization": request.headers["Authorization"],
            "canonical_request": seen["canonical_request"],
            "string_to_sign": seen["string_to_sign"],
            "content_sha256": request.headers["X-Amz-Content-SHA256"],
        }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    json.dump({"botocore": botocore.__version__, "results": [sign(c) for c in cases]}, sys.stdout)


main()
