// translate(): the router from one engine statement to what to do with it.
#include "server/pgcompat/pgcompat.h"

namespace dbvault::server::pgcompat {

Result<Translation> translate(std::string_view sql, Settings&, const CatalogSource&) {
  return Translation{Rewritten{{std::string(sql)}, {}}};
}

std::vector<std::uint32_t> infer_parameter_types(std::string_view, int n_params,
                                                 const CatalogSource&) {
  return std::vector<std::uint32_t>(static_cast<std::size_t>(n_params > 0 ? n_params : 0),
                                    type_oid::kText);
}

Error explain_engine_error(std::string_view, std::string_view sqlite_message) {
  return make_error(sqlstate::kSyntaxError, std::string(sqlite_message));
}

Status prepare_connection(sqlite3*, const Settings&) { return ok_status(); }

}  // namespace dbvault::server::pgcompat
