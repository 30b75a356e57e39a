export default { common: { productName: 'Sekisho（関所）' } };
