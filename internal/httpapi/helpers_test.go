package httpapi_test

import (
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

type cfgT = config.Config

func storetestSQLite() storetest.Backend { return storetest.Backends()[0] }
