#!/usr/bin/env bash
# ensure-govc.sh: make sure govc, the independent vSphere client the vcenter driver's tests
# cross-check against, is installed; print its path. Idempotent: does nothing if govc is
# already in PATH or in GOBIN / GOPATH/bin.
#
# The version is pinned: govc v0.48+ is a nested module the Go proxy does not serve, and an
# unpinned install can resolve to an ancient release.
set -euo pipefail

GOVC_VERSION="${GOVC_VERSION:-v0.46.0}"

find_govc() {
	if command -v govc >/dev/null 2>&1; then
		command -v govc
		return 0
	fi
	local gobin gopath dir
	gobin="$(go env GOBIN)"
	gopath="$(go env GOPATH)"
	for dir in ${gobin:+"$gobin"} $(printf '%s' "$gopath" | tr ':' ' ' | sed 's|\([^ ]*\)|\1/bin|g'); do
		if [ -x "$dir/govc" ]; then
			echo "$dir/govc"
			return 0
		fi
	done
	return 1
}

if path="$(find_govc)"; then
	echo "govc already installed: $path"
	exit 0
fi

command -v go >/dev/null 2>&1 || { echo "ensure-govc: go is not installed" >&2; exit 1; }
echo "installing govc ${GOVC_VERSION} ..." >&2
# Run outside any module so the install cannot touch a go.mod.
(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go install "github.com/vmware/govmomi/govc@${GOVC_VERSION}")

if path="$(find_govc)"; then
	echo "govc installed: $path"
else
	echo "ensure-govc: go install succeeded but govc is not in PATH, GOBIN or GOPATH/bin" >&2
	exit 1
fi
