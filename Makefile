# supercloud — every target runs with the project's own Node 24 (node_modules/.bin first on PATH)
# and the Go-built Kubernetes toolchain from the version-keyed cache outside the repository.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export SUPERCLOUD_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/supercloud
export PATH := $(CURDIR)/node_modules/.bin:$(SUPERCLOUD_CACHE)/bin:$(PATH)
JEST := NODE_OPTIONS=--experimental-vm-modules jest
TSX := tsx

.PHONY: help setup generate check-generated build lint test test-unit test-contracts test-integration \
        test-e2e cluster-up cluster-down demo bench run-operator run-gateway clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: ## install the toolchain: npm packages, Foundry, Kubernetes 1.33, etcd, KWOK, Helm, Flux (cached)
	@test/toolchain/setup.sh

node_modules/.installed: package.json package-lock.json
	@test/toolchain/setup.sh --npm-only

generate: node_modules/.installed ## regenerate CRDs, chart CRDs, typed ABIs and the operator's ClusterRole rules from their sources
	@$(TSX) operator/tools/generate.ts

check-generated: node_modules/.installed ## fail when a generated file is stale
	@$(TSX) operator/tools/generate.ts --check

build: node_modules/.installed ## type-check and compile the operator and CLI to dist/
	@tsc -p tsconfig.build.json

lint: node_modules/.installed ## eslint, prettier, and tsc --noEmit over operator/ and test/ (tools, tests, benches, demo)
	@eslint . && prettier --check . && tsc --noEmit -p tsconfig.json

test: setup ## everything: lint, generated files, unit, contracts, integration, end-to-end
	@$(MAKE) --no-print-directory lint check-generated build test-unit test-contracts test-integration test-e2e

test-unit: node_modules/.installed ## unit tests of pure logic (no cluster, no chain)
	@$(JEST) --selectProjects unit

test-contracts: node_modules/.installed ## forge unit, fuzz and invariant tests, and the gas snapshot check
	@cd contracts && forge fmt --check && forge test && forge snapshot --match-path 'test/gas/*' --check --tolerance 2

test-integration: setup ## integration tests against the local stack (brought up if needed)
	@$(JEST) --selectProjects integration --runInBand

test-e2e: setup ## end-to-end tests: chain + operator + cluster
	@$(JEST) --selectProjects e2e --runInBand

cluster-up: setup ## start the local stack: control plane, KWOK GPU nodes, anvil (reuses a running one)
	@$(TSX) test/stack/cli.ts up

cluster-down: ## stop every process of the local stack and remove its state
	@$(TSX) test/stack/cli.ts down

demo: setup ## the whole market on the local stack, step by step
	@$(TSX) test/stack/demo.ts

bench: setup ## the benchmark report (BENCH="stack-boot ..." for some sections)
	@$(TSX) test/bench/run.ts $(BENCH)

RELEASE ?= supercloud-provider
# Where make demo's gateway listens, and the URL its Provider registers (http://$(GATEWAY_ADDRESS)).
GATEWAY_ADDRESS ?= 127.0.0.1:18443
export GATEWAY_ADDRESS
NAMESPACE ?= supercloud-system
run-operator: build ## the image's entry point (node dist/main.js) on the local stack, as the chart's ServiceAccount
	@node dist/main.js run --kubeconfig $(CURDIR)/.stack/kwok/clusters/supercloud/kubeconfig.yaml \
	  --as system:serviceaccount:$(NAMESPACE):$(RELEASE) \
	  --as-group system:serviceaccounts --as-group system:serviceaccounts:$(NAMESPACE) \
	  --leader-elect --leader-election-namespace $(NAMESPACE) $(ARGS)

run-gateway: build ## the provider gateway (node dist/main.js gateway) on the local stack at $(GATEWAY_ADDRESS), as examples/gateway-rbac.yaml's ServiceAccount
	@node dist/main.js gateway --kubeconfig $(CURDIR)/.stack/kwok/clusters/supercloud/kubeconfig.yaml \
	  --as system:serviceaccount:supercloud-system:supercloud-gateway --listen $(GATEWAY_ADDRESS) $(ARGS)

clean: cluster-down ## remove build outputs (not the toolchain cache)
	@rm -rf dist contracts/out contracts/cache
