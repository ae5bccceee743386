// The Certadm binding in one include: library loading, errors and HRESULT
// meanings, text and name lists, and the backup/restore wrappers.
// docs/certadm-binding.md describes how it works.
#pragma once

#include "certvault/certadm/api_error.h"
#include "certvault/certadm/library.h"
#include "certvault/certadm/server.h"
#include "certvault/certadm/strings.h"
