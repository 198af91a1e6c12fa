# rostercheck in a container: a static binary, CA certificates, non-root.
#   docker build --build-arg VERSION=$(git describe --tags --always) -t rostercheck .
#   docker run --rm -e ROSTERCHECK_CLIENT_SECRET -v "$PWD/report:/work/rostercheck-report" rostercheck \
#     run --base-url https://sis.example.com/ims/oneroster/v1p1 --token-url https://sis.example.com/oauth/token \
#         --client-id my-client --profile sds
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/rostercheck/rostercheck/runner.version=${VERSION}" \
      -o /out/rostercheck ./cmd/rostercheck \
 && /out/rostercheck version \
 && mkdir -p /out/work

FROM scratch
# CA certificates for HTTPS providers, from the build stage's Debian.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/rostercheck /usr/local/bin/rostercheck
# The report folder's parent, writable by the non-root user.
COPY --from=build --chown=65532:65532 /out/work /work
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/rostercheck"]
CMD ["--help"]
