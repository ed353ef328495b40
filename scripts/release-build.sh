# Sourced (by scripts/package.sh and Benchmarks/cni-bench.sh): sets `build`, the release
# build's command, in one place, so the package and the benchmark measure the same binary.
#   --static-swift-stdlib  the Swift runtime and Foundation linked in: a node needs no toolchain.
#   -no-pie                a position-dependent executable, as Debian builds its own CNI plugins
#                          and containerd; its shared libraries are still placed at random. The
#                          loader applies no relocations to the image at start (a PIE one has
#                          ~85,000: ~2 ms of every CNI call).
#   libstdc++ linked in    the Swift runtime's C++ library, from its static archive: loading the
#                          shared one (its relocations, its symbol lookups) cost ~0.9 ms of every
#                          process (`CNI_COMMAND=VERSION`, 4.41 → 3.46 ms, interleaved `perf
#                          stat` runs). The toolchain's link line names `-lstdc++` itself, so a
#                          directory searched first holds a `libstdc++.so` that is a linker
#                          script naming the archive (made here, under .build).
# Needs $repo (the repository's root).
stdcxx=$(ls /usr/lib/gcc/*-linux-gnu/*/libstdc++.a 2>/dev/null | sort -V | tail -1)
[ -n "$stdcxx" ] || { echo "release-build: no libstdc++.a (apt-get install libstdc++-12-dev, scripts/install.sh)" >&2; exit 1; }
mkdir -p "$repo/.build/static-libstdc++"
echo "INPUT ( $stdcxx )" >"$repo/.build/static-libstdc++/libstdc++.so"
build=(swift build -c release --static-swift-stdlib -Xlinker -no-pie -Xlinker -L"$repo/.build/static-libstdc++")
