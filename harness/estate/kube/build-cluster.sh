#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubelet from Debian's own `kubernetes`
# source package with Debian's Go, into $KUBE_CACHE/bin. Run by `drill cluster build`; reuses what is there.
#
# The source entry is derived from the machine's own apt sources (Types: deb -> deb-src) into a private apt
# state directory under the cache: the system's apt configuration and lists are left untouched.
set -euo pipefail

: "${KUBE_CACHE:?KUBE_CACHE must name the cache directory}"
KUBE_VERSION="${KUBE_VERSION:-1.20.2}"
GO_ROOT="${GO_ROOT:-/usr/lib/go-1.19}"
SOURCES="${APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
components=(kube-apiserver kube-controller-manager kube-scheduler kubelet)

log() { printf '[cluster build] %s\n' "$*" >&2; }

mkdir -p "$KUBE_CACHE/bin"
missing=()
for c in "${components[@]}"; do [ -x "$KUBE_CACHE/bin/$c" ] || missing+=("$c"); done
if ((${#missing[@]} == 0)) && [ -x "$KUBE_CACHE/bin/pause" ]; then
  log "binaries present in $KUBE_CACHE/bin; nothing to build"
  exit 0
fi

[ -x "$GO_ROOT/bin/go" ] || { log "no Go at $GO_ROOT (apt-get install golang-1.19-go)"; exit 3; }
command -v dpkg-source > /dev/null || { log "dpkg-source missing (apt-get install dpkg-dev)"; exit 3; }
command -v rsync > /dev/null || { log "rsync missing (apt-get install rsync)"; exit 3; }

# 1. Source package, through a private apt state dir.
apt_dir="$KUBE_CACHE/apt"
src_root="$KUBE_CACHE/src"
tree=$(ls -d "$src_root"/kubernetes-*/ 2> /dev/null | head -1 || true)
if [ -z "$tree" ]; then
  [ -r "$SOURCES" ] || { log "no apt sources at $SOURCES to derive a deb-src entry from"; exit 3; }
  mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$src_root"
  # The first stanza of the machine's sources (the main archive), as deb-src.
  awk 'BEGIN{RS=""; ORS="\n\n"} NR==1 {gsub(/Types: *deb[^\n]*/, "Types: deb-src"); print}' "$SOURCES" \
    > "$apt_dir/sources.list.d/src.sources"
  apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "Dir::State::Status=/var/lib/dpkg/status"
    -o "APT::Sandbox::User=root")
  log "apt-get update (private state in $apt_dir)"
  apt-get "${apt_opts[@]}" update -qq
  log "apt-get source kubernetes"
  (cd "$src_root" && apt-get "${apt_opts[@]}" source -qq kubernetes)
  tree=$(ls -d "$src_root"/kubernetes-*/ | head -1)
fi
tree="${tree%/}"
log "source tree $tree"

# 2. GOPATH build, as the tree's hack/lib/init.sh does it.
gopath="$KUBE_CACHE/gopath"
mkdir -p "$gopath/src/k8s.io"
ln -sfn "$tree" "$gopath/src/k8s.io/kubernetes"
export GOROOT="$GO_ROOT" PATH="$GO_ROOT/bin:$PATH" GOPATH="$gopath" GO111MODULE=off GOFLAGS= GOPROXY=off
export CGO_ENABLED=0 GOCACHE="$KUBE_CACHE/gocache"
cd "$gopath/src/k8s.io/kubernetes"
log "go $(go version | awk '{print $3}')"

openapi=pkg/generated/openapi/zz_generated.openapi.go
if [ ! -s "$openapi" ]; then
  log "make gen_openapi"
  make gen_openapi > "$KUBE_CACHE/gen_openapi.log" 2>&1 || { tail -30 "$KUBE_CACHE/gen_openapi.log" >&2; exit 1; }
fi

major="${KUBE_VERSION%%.*}"
rest="${KUBE_VERSION#*.}"
minor="${rest%%.*}"
ld="-s -w"
for pkg in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  ld="$ld -X $pkg.gitVersion=v$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
for c in "${missing[@]+"${missing[@]}"}"; do
  log "go build $c"
  go build -ldflags "$ld" -o "$KUBE_CACHE/bin/$c.tmp" "./cmd/$c"
  mv "$KUBE_CACHE/bin/$c.tmp" "$KUBE_CACHE/bin/$c"
done
"$KUBE_CACHE/bin/kube-apiserver" --version >&2
log "done: $KUBE_CACHE/bin"

# 3. The pods' sandbox program (kubelet's pause image, imported into the node engine at cluster start): a
#    process that waits for SIGTERM, built here since no registry can provide the upstream image.
if [ ! -x "$KUBE_CACHE/bin/pause" ]; then
  mkdir -p "$KUBE_CACHE/pause-src"
  cat > "$KUBE_CACHE/pause-src/pause.go" << 'GO'
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
GO
  log "go build pause"
  (cd "$KUBE_CACHE/pause-src" && GOROOT="$GO_ROOT" GOPATH="$KUBE_CACHE/gopath" GO111MODULE=off CGO_ENABLED=0 \
    GOCACHE="$KUBE_CACHE/gocache" "$GO_ROOT/bin/go" build -ldflags "-s -w" -o "$KUBE_CACHE/bin/pause" pause.go)
fi
