#!/usr/bin/env bash
# Install the Debian packages a part of the book's toolchain needs, only when something is missing.
#   _ext/system-deps.sh browser   headless Chromium and Node/npm (browser test, mermaid-cli)
#   _ext/system-deps.sh pdf       xelatex, xeCJK, Noto CJK and FreeFont fonts, latexmk, pdftoppm
#   _ext/system-deps.sh bench     7-Zip (its PPMd is a baseline of the compression chapter)
# Runs apt-get as root, or through sudo; prints what to install by hand when neither works.
set -euo pipefail

pdf_pkgs=(texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended
  texlive-plain-generic texlive-lang-chinese texlive-lang-cjk fonts-noto-cjk fonts-freefont-otf
  latexmk poppler-utils)

missing=()
case "${1:-}" in
  browser)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    ;;
  bench)
    command -v 7zz >/dev/null 2>&1 || command -v 7z >/dev/null 2>&1 || missing+=(7zip)
    ;;
  pdf)
    command -v xelatex >/dev/null 2>&1 && command -v latexmk >/dev/null 2>&1 \
      && command -v pdftoppm >/dev/null 2>&1 && kpsewhich xeCJK.sty >/dev/null 2>&1 \
      && fc-list | grep -q "Noto Serif CJK SC" && fc-list | grep -q FreeSerif \
      || missing=("${pdf_pkgs[@]}")
    ;;
  *)
    echo "usage: $0 browser|bench|pdf" >&2
    exit 2
    ;;
esac
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "system-deps: cannot install as $(id -un); run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
