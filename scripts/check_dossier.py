#!/usr/bin/env python3
"""The incident dossier in a real browser: the demo writes a small day's dossiers, and
headless Chromium (Debian's chromium-headless-shell, installed here when missing) loads
each one from disk with no network: its script must run without an error and show every
contact; a link carrying a search must narrow the table to that one person; a screenshot
of each page is kept under target/dossier-check/ as the run's artifact."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "debug", "hallguard")
OUT = os.path.join(ROOT, "target", "dossier-check")
BROWSER = "chromium-headless-shell"


def browser():
    found = shutil.which(BROWSER)
    if found:
        return found
    install = ["apt-get", "install", "-y", "--no-install-recommends", BROWSER]
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(install, env=environment, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=environment, capture_output=True, check=True)
        subprocess.run(install, env=environment, capture_output=True, check=True)
    return shutil.which(BROWSER)


def load(chromium, url, *extra):
    """The page's DOM after its script ran, and what the browser logged."""
    result = subprocess.run(
        [chromium, "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000", *extra, url],
        capture_output=True, text=True, timeout=120)
    return result.stdout, result.stderr


def main():
    chromium = browser()
    if not chromium:
        sys.exit("no headless Chromium: apt-get install chromium-headless-shell")
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with tempfile.TemporaryDirectory() as data:
        subprocess.run([BINARY, "demo", "--quiet", "--visitors", "150", "--data", data, "--out", OUT],
                       check=True, capture_output=True, timeout=600)
    pages = sorted(glob.glob(os.path.join(OUT, "incident-*-dossier.html")))
    if not pages:
        sys.exit("the demo wrote no dossier")
    for page in pages:
        url = "file://" + page
        dom, log = load(chromium, url, "--dump-dom")
        errors = [line for line in log.splitlines() if "Uncaught" in line or "CONSOLE" in line and "error" in line.lower()]
        if errors:
            sys.exit(f"{page}: the page's script failed: {errors}")
        body = re.search(r"<body([^>]*)>", dom)
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', body.group(1) if body else ""))
        if attributes.get("data-ready") != "yes":
            sys.exit(f"{page}: the script never marked the page ready: {attributes}")
        contacts = attributes.get("data-contacts")
        if attributes.get("data-shown") != contacts:
            sys.exit(f"{page}: shows {attributes.get('data-shown')} of {contacts} contacts")
        first = re.search(r'<tr data-person="([^"]+)"', dom)
        if first:
            narrowed, _ = load(chromium, f"{url}#search={first.group(1)}", "--dump-dom")
            shown = re.search(r'<body[^>]*data-shown="(\d+)"', narrowed)
            if not shown or shown.group(1) != "1":
                sys.exit(f"{page}: a search for {first.group(1)} showed {shown and shown.group(1)} rows, not 1")
        picture = page.replace(".html", ".png")
        load(chromium, url, f"--screenshot={picture}", "--window-size=1400,2200", "--hide-scrollbars")
        if not os.path.exists(picture) or os.path.getsize(picture) < 10_000:
            sys.exit(f"{page}: no screenshot")
        print(f"{os.path.basename(page)}: {contacts} contacts shown, search narrows to one, "
              f"screenshot {os.path.relpath(picture, ROOT)}")


if __name__ == "__main__":
    main()
