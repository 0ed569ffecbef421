#include "models/hca/wqe_format.hpp"

namespace hcasim {

const char* to_string(AsyncEventKind k) {
  switch (k) {
    case AsyncEventKind::kCqError:
      return "cq_error";
    case AsyncEventKind::kQpFatal:
      return "qp_fatal";
    case AsyncEventKind::kPortActive:
      return "port_active";
  }
  return "unknown";
}

const char* to_string(WcStatus s) {
  switch (s) {
    case WcStatus::kSuccess:
      return "success";
    case WcStatus::kLocalLength:
      return "local_length_error";
    case WcStatus::kLocalProtection:
      return "local_protection_error";
    case WcStatus::kRemoteAccess:
      return "remote_access_error";
    case WcStatus::kRemoteOperation:
      return "remote_operation_error";
    case WcStatus::kRetryExceeded:
      return "retry_exceeded";
    case WcStatus::kRnrRetryExceeded:
      return "rnr_retry_exceeded";
    case WcStatus::kFlushed:
      return "work_request_flushed";
    case WcStatus::kRemoteInvalidRequest:
      return "remote_invalid_request_error";
    case WcStatus::kLocalQpOperation:
      return "local_qp_operation_error";
  }
  return "unknown";
}

}  // namespace hcasim
