#!/usr/bin/env bash
# Fetches the investigator page's graph library, Cytoscape.js (MIT), from the npm registry
# into web/static/vendor/ with its licence, so the page works without internet: the
# served app carries every script it runs. Pinned version and tarball digest; a tarball
# that does not match is refused. Run by `make test` and `make demo` when the file is
# missing; `make web` runs it again.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=3.34.4
INTEGRITY="sha512-msY99tMY8iWTg+sIPGfSqDcPNOt4xcj+v/K/7qUFaCUxxlqnMkUYLBjRUzn9W5CU/R2hrmtJa5+UtovrEM2ctg=="
VENDOR=web/static/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "cytoscape@$VERSION" >/dev/null)
tarball="$work/cytoscape-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
    echo "build-web: cytoscape-$VERSION.tgz has digest $actual, expected $INTEGRITY" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work" package/dist/cytoscape.esm.min.mjs package/LICENSE
mkdir -p "$VENDOR"
# .js, not .mjs: every static server maps .js to JavaScript, which module scripts require.
cp "$work/package/dist/cytoscape.esm.min.mjs" "$VENDOR/cytoscape.esm.min.js.tmp"
cp "$work/package/LICENSE" "$VENDOR/cytoscape.LICENSE"
echo "$VERSION" > "$VENDOR/cytoscape.VERSION"
mv "$VENDOR/cytoscape.esm.min.js.tmp" "$VENDOR/cytoscape.esm.min.js"
echo "build-web: cytoscape $VERSION -> $VENDOR/cytoscape.esm.min.js" >&2
