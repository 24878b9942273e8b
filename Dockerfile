# Dockerfile: builds session-server and session-bench in release mode and runs them on a slim Swift runtime image.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libhiredis-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product session-server \
    && swift build -c release --product session-bench \
    && mkdir -p /out \
    && cp "$(swift build -c release --show-bin-path)/session-server" "$(swift build -c release --show-bin-path)/session-bench" /out/

FROM swift:6.3-bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libhiredis0.14 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home app
COPY --from=build /out/session-server /out/session-bench /usr/local/bin/
USER app
ENV SESSION_HOST=0.0.0.0 SESSION_PORT=8080
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["session-server"]
