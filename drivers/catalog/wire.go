package catalog

import "encoding/json"

// The DiDi wire format as this client reads it (DiDi's custom-image list document). Only the
// fields the normalized model keeps are decoded; unknown fields are ignored.

type listRequest struct {
	RegionID string `json:"regionId"`
	Start    int    `json:"start"`
	Limit    int    `json:"limit"`
}

// answer is every DiDi response: errno 0 is success. Errno is a pointer so that a JSON document
// without it (not a DiDi answer at all) is told apart from a success.
type answer struct {
	Errno     *int            `json:"errno"`
	Errmsg    string          `json:"errmsg"`
	RequestID string          `json:"requestId"`
	Data      json.RawMessage `json:"data"`
}

type listData struct {
	Count int        `json:"count"`
	Items []cimgItem `json:"items"`
	// FailedProviders is cloudbroker's addition: the providers a broker could not list.
	FailedProviders []struct {
		Provider string `json:"provider"`
		Errmsg   string `json:"errmsg"`
	} `json:"failedProviders"`
}

type cimgItem struct {
	CimgUUID    string `json:"cimgUuid"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	OSFamily    string `json:"osFamily"`
	OSVersion   string `json:"osVersion"`
	OSArch      string `json:"osArch"`
	Platform    string `json:"platform"`
	Size        int64  `json:"size"`
	CreateTime  int64  `json:"createTime"`
	UpdateTime  int64  `json:"updateTime"`
	Requirement struct {
		MinDiskSize int64 `json:"minDiskSize"`
	} `json:"requirement"`
}
