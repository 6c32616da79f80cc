# gitsm serve: the change gate as a GitHub App (docs/app.md).
#
# A static musl binary on distroless/static (CA certificates, /etc/passwd
# with a `nonroot` user, no shell), running as that user. Build:
#   docker build -t gitsm .
# Run (secrets as files; mirrors and state in a volume):
#   docker run -p 8080:8080 -v gitsm-data:/data \
#     -e GITSM_APP_ID=12345 \
#     -e GITSM_APP_PRIVATE_KEY_FILE=/run/secrets/app.pem \
#     -e GITSM_WEBHOOK_SECRET_FILE=/run/secrets/webhook-secret \
#     -v /srv/gitsm/secrets:/run/secrets:ro gitsm

FROM rust:1.89-alpine AS build
# musl-dev and a C compiler: libgit2, ring and mimalloc have C parts.
RUN apk add --no-cache musl-dev gcc make
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin gitsm \
 && strip target/release/gitsm \
 && mkdir -p /data && chown 65532:65532 /data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/release/gitsm /usr/local/bin/gitsm
COPY --from=build --chown=65532:65532 /data /data
USER nonroot:nonroot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/gitsm", "serve", "--listen", "0.0.0.0:8080", "--data", "/data"]
