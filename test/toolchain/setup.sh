#!/usr/bin/env bash
# make setup: installs everything supercloud needs on a fresh machine that has Go and npm.
#   npm packages (Node 24, TypeScript, jest, forge, anvil, solc) into node_modules/;
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, etcdctl, kwok,
#   kwokctl, helm, promtool and Flux's source-controller and helm-controller (with their CRDs)
#   built from pinned Go modules into a cache outside the repository.
# Idempotent: with everything cached it only checks stamps and takes seconds.
#   --npm-only   only the npm part
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLCHAIN="$ROOT/test/toolchain"
# shellcheck source=versions.env
source "$TOOLCHAIN/versions.env"
CACHE="${SUPERCLOUD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/supercloud}"
BIN="$CACHE/bin"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

install_npm_packages() {
  command -v npm >/dev/null || fail "npm is not installed; install Node.js (any version with npm >= 10), then run make setup again"
  local stamp="$ROOT/node_modules/.installed"
  if [[ -f "$stamp" && "$stamp" -nt "$ROOT/package-lock.json" && "$stamp" -nt "$ROOT/package.json" ]]; then
    return
  fi
  step "npm ci (Node 24, TypeScript, jest, forge, anvil, solc)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) ||
    fail "npm ci failed; is the npm registry reachable? (npm config get registry)"
  touch "$stamp"
}

require_go() {
  command -v go >/dev/null || fail "Go is not installed; install Go >= $GO_MIN_VERSION (https://go.dev/dl), then run make setup again"
  local have
  have="$(go env GOVERSION | sed 's/^go//')"
  if [[ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -1)" != "$GO_MIN_VERSION" ]]; then
    fail "Go $have is too old; the toolchain (Kubernetes, Flux) needs Go >= $GO_MIN_VERSION"
  fi
}

require_module_proxy() {
  local proxy
  proxy="$(go env GOPROXY | cut -d, -f1)"
  [[ "$proxy" == off || "$proxy" == direct ]] && return
  curl -fs --max-time 15 -o /dev/null "$proxy/k8s.io/kubernetes/@v/${KUBERNETES_VERSION}.info" ||
    fail "cannot reach the Go module proxy $proxy; check the network or GOPROXY, then run make setup again"
}

# build_tools NAME VERSION MODULE_DIR LDFLAGS PACKAGE... : go build into the versioned cache.
build_tools() {
  local name="$1" version="$2" module="$3" ldflags="$4"
  shift 4
  local dest="$CACHE/$name-$version/bin"
  if [[ -f "$dest/.complete" ]]; then return; fi
  require_go
  require_module_proxy
  step "building $name $version ($*) — the first build takes several minutes"
  mkdir -p "$dest"
  (cd "$module" && go build -ldflags "$ldflags" -o "$dest/" "$@") || fail "building $name $version failed (see the go output above)"
  touch "$dest/.complete"
}

# install_tools NAME VERSION LDFLAGS_FUNCTION [-tags=...] PACKAGE@VERSION... : go install into the
# versioned cache, with the ldflags the function prints (called only when building: it may need
# go).
install_tools() {
  local name="$1" version="$2" ldflags_function="$3"
  shift 3
  local dest="$CACHE/$name-$version/bin"
  if [[ -f "$dest/.complete" ]]; then return; fi
  require_go
  require_module_proxy
  step "building $name $version ($*)"
  mkdir -p "$dest"
  local ldflags
  ldflags="$("$ldflags_function")" || fail "could not work out the ldflags of $name $version"
  GOBIN="$dest" go install -ldflags "$ldflags" "$@" || fail "go install of $name $version failed (see the go output above)"
  touch "$dest/.complete"
}

kubernetes_ldflags() {
  local v="$KUBERNETES_VERSION" minor flags=""
  minor="$(echo "$v" | cut -d. -f2)"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "-s -w$flags"
}

kwok_ldflags() {
  echo "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
}

# helm as its release is built (helm's Makefile): version, commit and tree state, and the
# Kubernetes version `helm template` and `helm lint` assume without a cluster, which the Makefile
# takes from the client-go helm is built with (client-go v0.N.x is Kubernetes 1.N). A plain
# `go install` leaves that at v1.20, and the chart (kubeVersion >= 1.30) is refused unless
# --kube-version is passed.
helm_ldflags() {
  local gomod client_go major minor h=helm.sh/helm/v3
  gomod="$(go mod download -json "$h@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  client_go="$(awk '$1 == "k8s.io/client-go" { print $2 }' "$gomod")"
  [[ "$client_go" =~ ^v0\.([0-9]+)\.[0-9]+$ ]] || { echo "no k8s.io/client-go v0.x.y in $gomod" >&2; return 1; }
  major=1
  minor="${BASH_REMATCH[1]}"
  echo "-s -w -X $h/internal/version.version=$HELM_VERSION -X $h/internal/version.metadata=" \
    "-X $h/internal/version.gitCommit=$HELM_GIT_COMMIT -X $h/internal/version.gitTreeState=clean" \
    "-X $h/pkg/lint/rules.k8sVersionMajor=$major -X $h/pkg/lint/rules.k8sVersionMinor=$minor" \
    "-X $h/pkg/chartutil.k8sVersionMajor=$major -X $h/pkg/chartutil.k8sVersionMinor=$minor"
}

# Prometheus 3.x.y is the Go module github.com/prometheus/prometheus v0.3xx.y.
prometheus_module_version() {
  local major minor patch
  IFS=. read -r major minor patch <<<"${PROMETHEUS_VERSION#v}"
  printf 'v0.%d%02d.%d' "$major" "$minor" "$patch"
}

promtool_ldflags() {
  echo "-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION#v}"
}

FLUX_BUILD="source-controller-$FLUX_SOURCE_CONTROLLER_VERSION-helm-controller-$FLUX_HELM_CONTROLLER_VERSION"

# Flux's controllers, and beside them their CRDs (flux-<versions>/crds), which only the
# controllers' modules hold (config/crd/bases): the tests apply them to the stack.
build_flux() {
  local crds="$CACHE/flux-$FLUX_BUILD/crds" module version dir
  if [[ -f "$crds/.complete" && -f "$CACHE/flux-$FLUX_BUILD/bin/.complete" ]]; then return; fi
  # The cache is keyed by versions.env; the tools module's go.mod is what go builds.
  for module in "github.com/fluxcd/source-controller $FLUX_SOURCE_CONTROLLER_VERSION" \
    "github.com/fluxcd/helm-controller $FLUX_HELM_CONTROLLER_VERSION"; do
    read -r module version <<<"$module"
    [[ "$(cd "$TOOLCHAIN/flux" && go list -m -f '{{.Version}}' "$module")" == "$version" ]] ||
      fail "test/toolchain/flux/go.mod does not require $module $version as versions.env says"
  done
  build_tools flux "$FLUX_BUILD" "$TOOLCHAIN/flux" "-s -w" \
    github.com/fluxcd/source-controller github.com/fluxcd/helm-controller
  mkdir -p "$crds"
  for module in github.com/fluxcd/source-controller github.com/fluxcd/helm-controller; do
    # Downloaded already when the build ran here; not when another run built the binaries.
    dir="$(cd "$TOOLCHAIN/flux" && go mod download "$module" && go list -m -f '{{.Dir}}' "$module")" ||
      fail "could not download $module"
    cp "$dir"/config/crd/bases/*.yaml "$crds/" || fail "$module has no config/crd/bases"
  done
  touch "$crds/.complete"
}

link_tools() {
  mkdir -p "$BIN"
  local dir
  for dir in "kubernetes-$KUBERNETES_VERSION" "etcd-$ETCD_VERSION" "kwok-$KWOK_VERSION" \
    "helm-$HELM_VERSION-$HELM_BUILD" "prometheus-$PROMETHEUS_VERSION" "flux-$FLUX_BUILD"; do
    for tool in "$CACHE/$dir/bin/"*; do
      ln -sfn "$tool" "$BIN/$(basename "$tool")"
    done
  done
}

install_npm_packages
[[ "${1:-}" == --npm-only ]] && exit 0

build_tools kubernetes "$KUBERNETES_VERSION" "$TOOLCHAIN/kubernetes" "$(kubernetes_ldflags)" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
# go names a binary after the path element before a /vN suffix: server/v3 becomes "server".
build_tools etcd "$ETCD_VERSION" "$TOOLCHAIN/etcd" "-s -w" \
  go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3
[[ -f "$CACHE/etcd-$ETCD_VERSION/bin/server" ]] && mv "$CACHE/etcd-$ETCD_VERSION/bin/server" "$CACHE/etcd-$ETCD_VERSION/bin/etcd"
install_tools kwok "$KWOK_VERSION" kwok_ldflags \
  "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
install_tools helm "$HELM_VERSION-$HELM_BUILD" helm_ldflags "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
# The module has no replace directive, so a plain go install builds it with upstream's go.sum.
# promtool only checks and tests rules here: upstream's remove_all_sd build tag leaves out the
# service-discovery plugins (cloud SDKs), most of the download and build.
install_tools prometheus "$PROMETHEUS_VERSION" promtool_ldflags -tags=remove_all_sd \
  "github.com/prometheus/prometheus/cmd/promtool@$(prometheus_module_version)"
build_flux
link_tools
