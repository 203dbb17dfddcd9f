/// The Python side of ``Oracle``: reads one JSON request on stdin, answers
/// one JSON object on stdout. Uses only the SDKs' own functions:
/// `alipay.aop.api.util.SignatureUtils` (`get_sign_content`,
/// `sign_with_rsa2`, `verify_with_rsa`), `DefaultAlipayClient.page_execute`,
/// and `stripe.WebhookSignature.generate_signature_header` /
/// `stripe.Webhook.construct_event`. No network call is made.
enum OracleScript {
    static let source = #"""
import json
import sys
import types
import datetime as real_datetime
import urllib.parse


def alipay_notification_content(params):
    from alipay.aop.api.util.SignatureUtils import get_sign_content
    # Alipay's notification rule: drop sign and sign_type (and empty values).
    kept = {k: v for k, v in params.items() if k not in ("sign", "sign_type") and v != ""}
    return get_sign_content(kept)


def alipay_verify(public_key, content, sign):
    from alipay.aop.api.util.SignatureUtils import verify_with_rsa
    try:
        return bool(verify_with_rsa(public_key, content.encode("utf-8"), sign))
    except Exception:
        return False


def parse_form(text):
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True, encoding="utf-8", errors="strict")
    params = dict(pairs)
    if len(params) != len(pairs):
        raise ValueError("repeated key")
    return params


def op_versions(req):
    import stripe
    from alipay.aop.api.constant.CommonConstants import ALIPAY_SDK_PYTHON_VERSION
    from importlib.metadata import version
    return {"stripe": stripe.VERSION, "alipay": version("alipay-sdk-python"),
            "alipay_constant": ALIPAY_SDK_PYTHON_VERSION, "rsa": version("rsa"),
            "python": sys.version.split()[0]}


def op_alipay_sign_notification(req):
    from alipay.aop.api.util.SignatureUtils import sign_with_rsa2
    params = dict(req["params"])
    content = alipay_notification_content(params)
    params["sign"] = sign_with_rsa2(req["private_key"], content, "utf-8")
    params["sign_type"] = "RSA2"
    return {"body": urllib.parse.urlencode(params, encoding="utf-8"), "content": content}


def op_alipay_verify_notification(req):
    params = parse_form(req["body"])
    content = alipay_notification_content(params)
    return {"valid": alipay_verify(req["public_key"], content, params.get("sign", "")), "content": content}


def op_alipay_verify_url(req):
    from alipay.aop.api.util.SignatureUtils import get_sign_content
    params = parse_form(urllib.parse.urlsplit(req["url"]).query)
    sign = params.pop("sign", "")
    content = get_sign_content(params)
    return {"valid": alipay_verify(req["public_key"], content, sign), "content": content}


def op_alipay_page_execute(req):
    import alipay.aop.api.DefaultAlipayClient as client_module
    from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
    from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
    from alipay.aop.api.request.AlipayTradePagePayRequest import AlipayTradePagePayRequest
    from alipay.aop.api.request.AlipayTradeWapPayRequest import AlipayTradeWapPayRequest

    fixed = real_datetime.datetime.strptime(req["timestamp"], "%Y-%m-%d %H:%M:%S")

    class FixedDateTime(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed

    # The SDK stamps requests with datetime.datetime.now() (local time); pin it.
    client_module.datetime = types.SimpleNamespace(datetime=FixedDateTime)

    config = AlipayClientConfig()
    config.server_url = req["gateway"]
    config.app_id = req["app_id"]
    config.app_private_key = req["private_key"]
    config.alipay_public_key = req["public_key"]
    config.format = "JSON"
    config.charset = "utf-8"
    config.sign_type = "RSA2"
    request = AlipayTradeWapPayRequest() if req["channel"] == "wap" else AlipayTradePagePayRequest()
    request.biz_content = req["biz"]
    request.notify_url = req["notify_url"]
    if req.get("return_url"):
        request.return_url = req["return_url"]
    url = DefaultAlipayClient(config).page_execute(request, http_method="GET")
    return {"url": url, "params": parse_form(urllib.parse.urlsplit(url).query)}


def op_stripe_sign(req):
    import stripe
    header = stripe.WebhookSignature.generate_signature_header(req["payload"], req["secret"], timestamp=req["timestamp"])
    return {"header": header}


def op_stripe_construct(req):
    import stripe
    try:
        event = stripe.Webhook.construct_event(req["payload"], req["header"], req["secret"])
        return {"valid": True, "id": event["id"], "type": event["type"]}
    except stripe.SignatureVerificationError as error:
        return {"valid": False, "error": str(error).split(". ")[0][:120]}


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}

request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
answer = OPS[request["op"]](request)
sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8"))
"""#
}
