package config

import (
	"fmt"
	"time"
)

// Notifications bounds the kept broker events (ZStack's QueryNotification): both limits apply.
type Notifications struct {
	// Retention drops notifications older than this. Default 168h (7 days).
	Retention Duration `yaml:"retention"`
	// MaxCount keeps at most this many, dropping the oldest. Default 1000.
	MaxCount int `yaml:"max_count"`
}

func (n *Notifications) setDefaults() {
	if n.Retention == 0 {
		n.Retention = Duration(7 * 24 * time.Hour)
	}
	if n.MaxCount == 0 {
		n.MaxCount = 1000
	}
}

func (n *Notifications) validate() []error {
	var errs []error
	if n.Retention.D() < time.Minute {
		errs = append(errs, fmt.Errorf("config: notifications.retention: %s must be at least 1m", n.Retention.D()))
	}
	if n.MaxCount < 1 {
		errs = append(errs, fmt.Errorf("config: notifications.max_count: %d must be at least 1", n.MaxCount))
	}
	return errs
}
