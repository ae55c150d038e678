#!/usr/bin/env bash
# `make vendor`: install the book's browser assets and PDF tools from the npm registry (versions
# pinned in package.json / package-lock.json; puppeteer downloads no browser, see
# .puppeteerrc.cjs) and copy what a browser needs into _vendor/site, which the offline_assets
# extension publishes with html_extra_path. Without npm it prints a notice and the book falls
# back to the CDN.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
  echo "notice: npm not found: MathJax and mermaid will load from a CDN (maths and diagrams then need" \
    "a network), and the browser test and the PDF's diagrams are unavailable." >&2
  exit 0
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

site=_vendor/site/vendor
rm -rf _vendor/site
mkdir -p "$site/mathjax" "$site/mermaid/chunks"
cp -R node_modules/mathjax/es5 "$site/mathjax/"
cp node_modules/mathjax/LICENSE "$site/mathjax/"
cp node_modules/mermaid/dist/mermaid.esm.min.mjs "$site/mermaid/"
cp -R node_modules/mermaid/dist/chunks/mermaid.esm.min "$site/mermaid/chunks/"
cp node_modules/mermaid/LICENSE "$site/mermaid/"
find _vendor/site -name '*.map' -delete
# Source-map comments would make a browser with devtools open ask for the deleted maps.
find "$site/mermaid" -name '*.mjs' -exec sed -i 's|^//# sourceMappingURL=.*$||' {} +

# mermaid-cli (PDF diagrams) and the browser test drive the system's Chromium.
chromium="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -n "$chromium" ]; then
  printf '{"executablePath": "%s", "args": ["--no-sandbox", "--disable-gpu"]}\n' "$chromium" \
    >_vendor/puppeteer-config.json
else
  echo "notice: no chromium found: install Debian's chromium for the browser test and the PDF." >&2
fi
echo "vendor: $(du -sh _vendor/site | cut -f1) of browser assets in _vendor/site"
