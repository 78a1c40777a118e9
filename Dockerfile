# llama-sim as a container: the single compiled binary on a distroless base (no shell, no package
# manager), running as a non-root user.
#
#   docker build --build-arg LLAMA_SIM_COMMIT=$(git rev-parse --short=8 HEAD) -t llama-sim:0.1.0 .
#   docker run --rm -p 8033:8033 llama-sim:0.1.0 --mode fixed --seed 42 --success-rate 0.8 --metrics
#
# Flags after the image name are llama-sim's flags; every one can also be set with its environment
# variable (`docker run -e LLAMA_SIM_MODE=fixed ...`; `llama-sim --help` lists them).

# ---- 1. Compile: npm ci installs the Bun pinned in package-lock.json, which builds the binary as `make` does.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY data ./data
COPY src ./src
# The commit shown by --version and in system_fingerprint (there is no .git in the build context).
ARG LLAMA_SIM_COMMIT=unknown
RUN node_modules/.bin/bun build --compile --minify --sourcemap --bytecode --format=esm --define LLAMA_SIM_COMMIT="\"${LLAMA_SIM_COMMIT}\"" src/main.ts src/start.ts src/server/worker.ts --outfile /out/llama-sim \
 && /out/llama-sim --version \
 && mkdir -p /out/ledger

# ---- 2. The health check's HTTP client: busybox's wget, statically linked (musl), copied in alone.
# Distroless has no curl or shell, and Docker's HEALTHCHECK needs a program that makes an HTTP request.
FROM busybox:1.37.0-musl AS wget

# ---- 3. Run: the binary alone. distroless/cc has glibc (the Bun binary links libc, libm, libpthread, libdl)
# and libgcc; "nonroot" is uid/gid 65532 with HOME /home/nonroot.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/llama-sim /llama-sim
COPY --from=wget /bin/wget /usr/local/bin/wget
# An empty directory the non-root user owns, for --ledger files (a named volume mounted here keeps its owner).
COPY --from=build --chown=65532:65532 /out/ledger /var/lib/llama-sim
USER 65532:65532
EXPOSE 8033
# Checks the default port: keep llama-sim on 8033 in the container and pick the host port with -p.
# Kubernetes ignores HEALTHCHECK and uses the probes in deploy/kubernetes/deployment.yaml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/wget", "-q", "-T", "2", "-O", "/dev/null", "http://127.0.0.1:8033/health"]
# 0.0.0.0: a container's loopback is unreachable from outside it. SIGTERM (docker stop) flushes and exits 0.
ENTRYPOINT ["/llama-sim", "--host", "0.0.0.0"]
