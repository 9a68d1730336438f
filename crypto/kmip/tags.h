// The KMIP 1.4 tags and enumeration values dbvault uses (KMIP specification v1.4 §9.1.3).
// Only what the message layer sends or reads; a value missing here is not needed.
#pragma once

#include <cstdint>

namespace dbvault::crypto::kmip {

namespace tag {
inline constexpr std::uint32_t kAttribute = 0x420008;
inline constexpr std::uint32_t kAttributeName = 0x42000A;
inline constexpr std::uint32_t kAttributeValue = 0x42000B;
inline constexpr std::uint32_t kBatchCount = 0x42000D;
inline constexpr std::uint32_t kBatchItem = 0x42000F;
inline constexpr std::uint32_t kBlockCipherMode = 0x420011;
inline constexpr std::uint32_t kCryptographicAlgorithm = 0x420028;
inline constexpr std::uint32_t kCryptographicLength = 0x42002A;
inline constexpr std::uint32_t kCryptographicParameters = 0x42002B;
inline constexpr std::uint32_t kCryptographicUsageMask = 0x42002C;
inline constexpr std::uint32_t kIvCounterNonce = 0x42003D;
inline constexpr std::uint32_t kMaximumResponseSize = 0x420050;
inline constexpr std::uint32_t kName = 0x420053;
inline constexpr std::uint32_t kNameType = 0x420054;
inline constexpr std::uint32_t kNameValue = 0x420055;
inline constexpr std::uint32_t kObjectType = 0x420057;
inline constexpr std::uint32_t kOperation = 0x42005C;
inline constexpr std::uint32_t kProtocolVersion = 0x420069;
inline constexpr std::uint32_t kProtocolVersionMajor = 0x42006A;
inline constexpr std::uint32_t kProtocolVersionMinor = 0x42006B;
inline constexpr std::uint32_t kRequestHeader = 0x420077;
inline constexpr std::uint32_t kRequestMessage = 0x420078;
inline constexpr std::uint32_t kRequestPayload = 0x420079;
inline constexpr std::uint32_t kResponseHeader = 0x42007A;
inline constexpr std::uint32_t kResponseMessage = 0x42007B;
inline constexpr std::uint32_t kResponsePayload = 0x42007C;
inline constexpr std::uint32_t kResultMessage = 0x42007D;
inline constexpr std::uint32_t kResultReason = 0x42007E;
inline constexpr std::uint32_t kResultStatus = 0x42007F;
inline constexpr std::uint32_t kRevocationReason = 0x420081;
inline constexpr std::uint32_t kRevocationReasonCode = 0x420082;
inline constexpr std::uint32_t kState = 0x42008D;
inline constexpr std::uint32_t kTemplateAttribute = 0x420091;
inline constexpr std::uint32_t kUniqueIdentifier = 0x420094;
inline constexpr std::uint32_t kData = 0x4200C2;
inline constexpr std::uint32_t kTagLength = 0x4200CE;
inline constexpr std::uint32_t kAuthenticatedEncryptionAdditionalData = 0x4200FE;
inline constexpr std::uint32_t kAuthenticatedEncryptionTag = 0x4200FF;
}  // namespace tag

enum class Operation : std::uint32_t {
  kCreate = 0x01,
  kLocate = 0x08,
  kGetAttributes = 0x0B,
  kActivate = 0x12,
  kRevoke = 0x13,
  kDestroy = 0x14,
  kEncrypt = 0x1F,
  kDecrypt = 0x20,
};

inline constexpr std::uint32_t kObjectTypeSymmetricKey = 2;
inline constexpr std::uint32_t kAlgorithmAes = 3;
inline constexpr std::uint32_t kBlockCipherModeGcm = 9;
inline constexpr std::int32_t kUsageEncrypt = 0x04;
inline constexpr std::int32_t kUsageDecrypt = 0x08;
inline constexpr std::uint32_t kNameTypeText = 1;
inline constexpr std::uint32_t kStateActive = 2;
inline constexpr std::uint32_t kRevocationCessationOfOperation = 6;
inline constexpr std::uint32_t kResultSuccess = 0;

}  // namespace dbvault::crypto::kmip
