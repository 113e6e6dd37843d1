# syntax=docker/dockerfile:1
# Driftwood in a container: a static binary (CGO_ENABLED=0: the SQLite driver
# is pure Go) on a distroless base that has CA certificates (for HTTPS
# webhooks) and a non-root user, and nothing else: no shell, no curl. The
# health check is the binary's own `driftwood healthcheck`.
#
#   docker build -t driftwood .
#   docker run -p 7070:7070 -v driftwood-data:/data driftwood
#
# See docs/deploy.md.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION names the build in `driftwood version` and the logs (default: the
# module version the go command stamps, with the revision when .git is here).
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/driftwood ./cmd/driftwood \
    && mkdir /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/driftwood /usr/local/bin/driftwood
# The SQLite database and its key file live in /data, owned by the image's
# non-root user (65532) so that a new named volume starts writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV DRIFTWOOD_ADDR=0.0.0.0:7070 \
    DRIFTWOOD_DB=sqlite:/data/driftwood.db
EXPOSE 7070
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/driftwood", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/driftwood"]
CMD ["serve"]
