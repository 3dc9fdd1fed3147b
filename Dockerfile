# Wheelhouse operator image. Build: docker build -t ghcr.io/wheelhouse-dev/wheelhouse:0.1.0 .
# (These development machines have no container engine; CI for images runs elsewhere.)

# Build stage: the release binary, dependencies cached in their own layer.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo .cargo
COPY e2e/Cargo.toml e2e/Cargo.toml
COPY benches benches
COPY crates crates
# The release link order of hot functions (see build.rs).
COPY build build
COPY src src
COPY e2e/src e2e/src
RUN cargo build --release --locked --bin wheelhouse

# Final stage: distroless with glibc, no shell, non-root (uid 65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/wheelhouse /usr/local/bin/wheelhouse
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/wheelhouse"]
CMD ["run"]
