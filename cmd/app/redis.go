package app

import (
	"cloudbroker/config"
	"cloudbroker/queue"
)

// RedisOptions are the queue's Redis options from the configuration. Its only error is a TLS
// setting that cannot be used (config.Redis.TLSConfig).
func RedisOptions(c config.Redis) (queue.RedisOptions, error) {
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return queue.RedisOptions{}, err
	}
	return queue.RedisOptions{
		Addr: c.Addr, Username: c.Username, Password: c.Password, DB: c.DB, TLS: tlsCfg,
		SentinelMaster: c.SentinelMaster, SentinelAddrs: c.SentinelAddrs, ClusterAddrs: c.ClusterAddrs,
		Timeout: c.Timeout.D(),
	}, nil
}
