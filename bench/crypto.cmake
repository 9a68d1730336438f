# crypto_bench: TEK unwrap latency per master-key provider (env, file, SoftHSM2, a real
# pykmip-server), AEAD throughput (64 B, 4 KiB, 16 KiB), Argon2id time, and an in-process
# OpenSSL EVP baseline measured in the same run. Figures: docs/performance.md, "## crypto".
# The SoftHSM2 token and the pykmip-server come from the crypto tests' fixtures (Boost-free).
add_executable(crypto_bench
  ${CMAKE_CURRENT_LIST_DIR}/crypto_bench.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unwrap_latency.cpp
  ${PROJECT_SOURCE_DIR}/tests/crypto/pykmip_server.cpp
  ${PROJECT_SOURCE_DIR}/tests/crypto/test_util.cpp
  ${PROJECT_SOURCE_DIR}/tests/support/temp_dir.cpp)
dbvault_warnings(crypto_bench)
target_include_directories(crypto_bench PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(crypto_bench PRIVATE dbvault_crypto benchmark::benchmark)
