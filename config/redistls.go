package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// RedisTLS is how the processes speak TLS to Redis; its keys sit beside redis.addr.
type RedisTLS struct {
	// TLS enables TLS to Redis (every node: master, replicas, sentinels, cluster nodes). The
	// server's certificate is verified: it must chain to TLSCAFile (the system's roots without
	// it) and name TLSServerName (the address's host without it): TLSConfig.
	TLS           bool   `yaml:"tls"`
	TLSServerName string `yaml:"tls_server_name"`
	// TLSInsecure skips that verification: for tests only, anyone on the path can read the data.
	TLSInsecure bool `yaml:"tls_insecure"`
	// TLSCAFile is a PEM file of the CA certificates Redis's certificate must chain to.
	TLSCAFile string `yaml:"tls_ca_file"`
	// TLSCertFile and TLSKeyFile are this process's client certificate and key (PEM), for a
	// Redis with tls-auth-clients yes; they go together.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
}

// TLSConfig is the client side of TLS to Redis, nil when tls is off. Every Redis client the
// processes make (go-redis, asynq's, the queue UI's) takes it from here.
func (r RedisTLS) TLSConfig() (*tls.Config, error) {
	if !r.TLS {
		return nil, nil
	}
	// No ServerName by default: go-redis dials with tls.DialWithDialer, which takes it from
	// the address of each node it reaches (a sentinel's master, a cluster's nodes).
	c := &tls.Config{ServerName: r.TLSServerName, InsecureSkipVerify: r.TLSInsecure, MinVersion: tls.VersionTLS12}
	var errs []error
	if r.TLSCAFile != "" {
		pool, err := readCAs(r.TLSCAFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: redis.tls_ca_file: %w", err))
		}
		c.RootCAs = pool
	}
	switch {
	case (r.TLSCertFile == "") != (r.TLSKeyFile == ""):
		errs = append(errs, errors.New("config: redis.tls_cert_file: tls_cert_file and tls_key_file go together (the client certificate and its private key, PEM)"))
	case r.TLSCertFile != "":
		cert, err := tls.LoadX509KeyPair(r.TLSCertFile, r.TLSKeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: redis.tls_cert_file / tls_key_file: %w", err))
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func readCAs(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate (want the CA certificate that signed Redis's, -----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

// validateTLS reports TLS files set without tls, and files that cannot be used.
func (r RedisTLS) validateTLS() []error {
	if !r.TLS {
		if r.TLSCAFile != "" || r.TLSCertFile != "" || r.TLSKeyFile != "" {
			return []error{errors.New("config: redis.tls: tls_ca_file, tls_cert_file or tls_key_file is set but tls is false: set tls: true")}
		}
		return nil
	}
	if _, err := r.TLSConfig(); err != nil {
		return []error{err}
	}
	return nil
}
