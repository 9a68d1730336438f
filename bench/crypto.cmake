# crypto_bench: AEAD throughput (64 B, 4 KiB, 16 KiB), Argon2id time, and an in-process
# OpenSSL EVP baseline measured in the same run. Figures: docs/performance.md, "## crypto".
add_executable(crypto_bench ${CMAKE_CURRENT_LIST_DIR}/crypto_bench.cpp)
dbvault_warnings(crypto_bench)
target_link_libraries(crypto_bench PRIVATE dbvault_crypto benchmark::benchmark)
