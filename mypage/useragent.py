"""A small user-agent reader: the browser and operating system a person recognises."""

from __future__ import annotations

import re

# Order matters: Edge and Opera say "Chrome", Chrome says "Safari", iOS says "Mac OS X".
_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"(?:OPR|Opera)/(\d+)"),
    ("Samsung Internet", r"SamsungBrowser/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:Chrome|CriOS|HeadlessChrome)/(\d+)"),
    ("Safari", r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/"),
)
_SYSTEMS = (
    ("iOS", r"iPhone OS (\d+)|iPad; CPU OS (\d+)"),
    ("Android", r"Android (\d+)"),
    ("Windows", r"Windows NT"),
    ("ChromeOS", r"CrOS"),
    ("macOS", r"Mac OS X"),
    ("Linux", r"Linux"),
)


def describe(user_agent: str) -> tuple[str, str]:
    """(browser, operating system), e.g. ("Firefox 128", "Windows"); "" where unknown."""
    browser = system = ""
    for name, pattern in _BROWSERS:
        match = re.search(pattern, user_agent)
        if match:
            browser = f"{name} {match.group(1)}"
            break
    for name, pattern in _SYSTEMS:
        match = re.search(pattern, user_agent)
        if match:
            version = next((g for g in match.groups() if g), "")
            system = f"{name} {version}".strip()
            break
    return browser, system
