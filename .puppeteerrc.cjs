// Never download a browser: the book's tools drive Debian's chromium (see Makefile `vendor`).
module.exports = { skipDownload: true };
