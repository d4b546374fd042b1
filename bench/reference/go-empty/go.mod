module meshward.local/go-empty

go 1.24
