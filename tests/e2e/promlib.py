"""Reading warmd's admin port: GET a path, and Prometheus text parsed
strictly (every family typed before its samples, label values unescaped,
no sample twice)."""

import re
import urllib.request


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        return r.read().decode()


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def labels(text):
    """Label pairs of a Prometheus text line, unescaping the values."""
    out, i = {}, 0
    while i < len(text):
        eq = text.index("=", i)
        key = text[i:eq]
        assert text[eq + 1] == '"', text
        j, val = eq + 2, []
        while text[j] != '"':
            if text[j] == "\\":
                j += 1
                val.append({"\\": "\\", '"': '"', "n": "\n"}[text[j]])
            else:
                assert text[j] != "\n", text
                val.append(text[j])
            j += 1
        out[key] = "".join(val)
        i = j + 1
        if i < len(text):
            assert text[i] == ",", text
            i += 1
    return out


def parse(text):
    """{(name, frozenset of label pairs): value}; checks every family has
    HELP and TYPE before its samples."""
    out, typed = {}, set()
    for l in text.splitlines():
        if l.startswith("# TYPE "):
            typed.add(l.split()[2])
            continue
        if l.startswith("#") or not l:
            continue
        m = LINE.match(l)
        assert m, l
        assert m.group(1) in typed, l
        key = (m.group(1), frozenset(labels(m.group(3) or "").items()))
        assert key not in out, l
        out[key] = float(m.group(4))
    return out


def val(m, name, **lab):
    return m.get((name, frozenset(lab.items())))
